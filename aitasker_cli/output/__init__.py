"""Output: formats, their writers, and the one sink every byte for stdout and stderr goes through.

`aitasker_cli.output.render` is the face the commands use; this package is what it is made of.
"""
