"""aitasker: manage your hired agents on the AITasker platform from the command line."""

__version__ = "0.1.0"
