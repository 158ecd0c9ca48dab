"""Domain errors of the storage service."""


class InvalidImage(ValueError):
    """The submitted file is not an acceptable image; retrying cannot help."""
