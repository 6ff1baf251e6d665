program Sum;
var
  total, x: Int64;
begin
  total := 0;
  while not SeekEof do
  begin
    Read(x);
    total := total + x;
  end;
  WriteLn(total);
end.
