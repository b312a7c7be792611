"""Allow `python -m cdap_policy`."""
from cdap_policy.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
