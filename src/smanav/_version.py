"""The one version string: pyproject reads it (dynamic version), the package and the plan
engine import it, so neither needs the package root (which imports the engine)."""

__version__ = "0.1.0"
