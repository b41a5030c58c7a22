"""Reading the repository's configs: the rule profiles (lab is realistic / 10) and the
durations, thresholds and names the rules define.
"""
