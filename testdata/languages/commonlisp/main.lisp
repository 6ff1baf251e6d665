(let ((sum 0))
  (loop for x = (read *standard-input* nil nil)
        while x
        do (incf sum x))
  (format t "~D~%" sum))
