public class Main {
    public static void main(String[] args) {
        int y = x + 1;
        String s = 42;
        System.out.println(y);
    }
}
