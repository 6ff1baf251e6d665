program Main;
var
  y: integer;
begin
  y := x + 1;
  writeln(y);
end.
