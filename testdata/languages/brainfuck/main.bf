Sum the nonnegative integers on stdin separated by whitespace; the sum must fit in a cell
Cells: c0 sum; c1 current number; c2 input char; c3 separator flag; c4 scratch
Read until end of input (which stores 0); per char: tab or LF or CR or space ends a number;
anything else is a digit: c1 becomes c1 times 10 plus the digit
>>,[
  >+<---------[-[---[-------------------[
    ---------------->-<<[->>>++++++++++<<<]>>>[-<<<+>>>]<<[-<+>]
  ]]]]
  >[-<<[-<+>]>>]<
,]
<[-<+>]
Print c0 in decimal: move it to c6; push its digits plus one every third cell; pop and print
<[->>>>>>+<<<<<<]>>>>>>
>++++++++++<[->-[>+>>]>[+[-<+>]>+>>]<<<<<]>[-]>[-<<+>>]<<+>>>
[>++++++++++<[->-[>+>>]>[+[-<+>]>+>>]<<<<<]>[-]>[-<<+>>]<<+>>>]
<<<[->++++++[-<++++++++>]<.[-]<<<]
++++++++++.
