\ Sum the whitespace-separated integers on stdin.
create buf 4096 allot
variable total

: skip-blanks ( a u -- a' u' )
  begin dup while over c@ bl > 0= while 1 /string repeat then ;
: token ( a u -- a' u' tok-a tok-u )
  over >r begin dup while over c@ bl > while 1 /string repeat then
  over r@ - r> swap ;
: sum-line ( a u -- )
  begin skip-blanks dup while
    token s>number? 0= abort" not a number" d>s total +!
  repeat 2drop ;
: main ( -- )
  0 total !
  begin buf 4096 stdin read-line throw while buf swap sum-line repeat drop
  total @ 0 .r cr ;

main
