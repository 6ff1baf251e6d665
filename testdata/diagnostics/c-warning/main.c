#include <stdio.h>

int main(void) {
    int unused;
    printf("hi\n");
    return 0;
}
