#include <iostream>

int main() {
    long long sum = 0, x;
    while (std::cin >> x)
        sum += x;
    std::cout << sum << '\n';
}
