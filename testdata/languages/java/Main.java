import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        long sum = 0;
        String line;
        while ((line = in.readLine()) != null) {
            for (String w : line.trim().split("\\s+")) {
                if (!w.isEmpty()) sum += Long.parseLong(w);
            }
        }
        System.out.println(sum);
    }
}
