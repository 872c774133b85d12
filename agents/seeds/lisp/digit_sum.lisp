;; The sum of the decimal digits of a non-negative integer.
(defun digit-sum (n)
  (loop for m = n then (floor m 10)
        while (plusp m)
        sum (mod m 10)))
