module main;
  integer sum, x, r;
  initial begin
    sum = 0;
    r = $fscanf(32'h8000_0000, "%d", x);
    while (r == 1) begin
      sum = sum + x;
      r = $fscanf(32'h8000_0000, "%d", x);
    end
    $display("%0d", sum);
    $finish;
  end
endmodule
