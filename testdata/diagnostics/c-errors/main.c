#include <stdio.h>

int main(void) {
    int unused;
    int y = x + 1;
    printf("%d\n", y)
    return 0;
}
