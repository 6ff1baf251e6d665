def main():
    print("hi"
    return 1

main()
