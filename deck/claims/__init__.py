"""Claims: values written on slides by hand, read as a lecturer means them and verified against the
computed ones; exercises (blanks, answers, the student version); `--fix`; reports of what was found."""
