program sum_stdin
  implicit none
  character(len=4096) :: line
  integer(8) :: total, x
  integer :: ios, p, q, n
  total = 0
  do
    read (*, '(A)', iostat=ios) line
    if (ios /= 0) exit
    n = len_trim(line)
    p = 1
    do
      do while (p <= n)
        if (line(p:p) /= ' ' .and. line(p:p) /= char(9)) exit
        p = p + 1
      end do
      if (p > n) exit
      q = p
      do while (q <= n)
        if (line(q:q) == ' ' .or. line(q:q) == char(9)) exit
        q = q + 1
      end do
      read (line(p:q-1), *) x
      total = total + x
      p = q
    end do
  end do
  print '(I0)', total
end program sum_stdin
