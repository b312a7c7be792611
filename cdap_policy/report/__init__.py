"""Report, the step after evaluate: what is done with a report before it is formatted. Waivers
applied (`waivers`: accepted exceptions with an expiry date), the findings a baseline report
already knew marked (`baseline`, the CI gate), two reports compared (`diff`, the annual review),
a report file read back (`reportfile`), personal data pseudonymised (`redact`).

Every function here is pure: values in, values out; reading a file raises InputError.
"""
