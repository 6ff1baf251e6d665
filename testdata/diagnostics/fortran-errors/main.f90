program main
  implicit none
  integer :: y
  y = x + 1
  print *, y
end program main
