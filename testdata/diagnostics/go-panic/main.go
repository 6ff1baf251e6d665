package main

import "fmt"

func at(s []int, i int) int {
	return s[i]
}

func main() {
	s := []int{1, 2, 3}
	fmt.Println(at(s, len(s)))
}
