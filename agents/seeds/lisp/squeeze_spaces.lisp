;; Trims a string and collapses every run of whitespace inside it into one space.
(defun squeeze-spaces (s)
  (let ((words '())
        (start nil))
    (loop for i from 0 to (length s)
          for blank = (or (= i (length s)) (member (char s i) '(#\Space #\Tab #\Newline #\Return)))
          do (cond ((and blank start) (push (subseq s start i) words) (setf start nil))
                   ((and (not blank) (not start)) (setf start i))))
    (format nil "~{~a~^ ~}" (nreverse words))))
