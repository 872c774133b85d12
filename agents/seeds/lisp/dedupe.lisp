;; The elements of a list with later repeats removed, first occurrences kept in order.
(defun dedupe (xs)
  (let ((seen (make-hash-table :test 'equal))
        (out '()))
    (dolist (x xs (nreverse out))
      (unless (gethash x seen)
        (setf (gethash x seen) t)
        (push x out)))))
