with Ada.Text_IO;                 use Ada.Text_IO;
with Ada.Long_Long_Integer_Text_IO; use Ada.Long_Long_Integer_Text_IO;

procedure Main is
   Sum : Long_Long_Integer := 0;
   X   : Long_Long_Integer;
begin
   loop
      begin
         Get (X);
      exception
         when End_Error => exit;
      end;
      Sum := Sum + X;
   end loop;
   Put (Sum, Width => 0);
   New_Line;
end Main;
