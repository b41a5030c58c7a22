"""Teaching: labs (break something, then `verify`) and drills (interview questions answered by
running their queries live). Checked against the running stack; imports scenarios and below.
"""
