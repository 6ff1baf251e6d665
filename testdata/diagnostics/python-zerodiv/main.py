def ratio(a, b):
    return a / b


def main():
    print(ratio(1, 0))


main()
