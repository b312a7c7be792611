"""Reports compared with each other: the diff of two reports (annual review), a report marked
against a baseline report (CI gate), and waivers (accepted exceptions with an expiry date).

Every function here is pure: values in, values out; reading a file raises InputError.
"""
