"""cdap-policy: policy-as-code compliance checker for partner access to the Caf CDAP service."""

__version__ = "0.1.0"
