program main
  implicit none
  integer :: n
  read *, n
  print *, n
end program main
