public class Main {
    public static void main(String[] args) {
        String s = "not a number";
        int n = Integer.parseInt(s);
        System.out.println(n);
    }
}
