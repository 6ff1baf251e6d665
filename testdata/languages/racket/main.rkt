#lang racket/base
(let loop ([sum 0])
  (define x (read))
  (if (eof-object? x)
      (displayln sum)
      (loop (+ sum x))))
