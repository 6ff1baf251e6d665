#include <iostream>
#include <string>

int main() {
    std::string s = 42;
    std::cout << undefined_name << "\n";
    return 0;
}
