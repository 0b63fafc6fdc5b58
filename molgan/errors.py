"""Exceptions that the CLI turns into one clear line and a non-zero exit code."""


class MolganError(Exception):
    """Base class of every error molgan reports to a user (bad input, bad arguments, bad files)."""

    exit_code = 2


class InputError(MolganError):
    """A file or argument the user gave cannot be used."""


class NothingUsableError(InputError):
    """Input was read, but not a single usable record was left."""


class CheckpointError(MolganError):
    """A model checkpoint is missing, truncated, corrupted, foreign or of an unknown version."""


class ConfigError(MolganError):
    """A TOML config or a parameter block has an unknown key or a bad value."""


class TrainingDivergedError(MolganError):
    """A loss became NaN or infinite during training."""


class TrainingInterrupted(MolganError):
    """Training stopped on SIGINT / SIGTERM after saving a checkpoint to resume from."""

    exit_code = 130
