"""Teaching: labs (break something, then `verify`), drills (interview questions answered by
running their queries live) and incidents (a graded on-call game with a hidden fault).
Checked against the running stack; imports scenarios and below.
"""
