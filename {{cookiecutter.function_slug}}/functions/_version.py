"""The version this code was released as; `invoke bump` keeps it equal to VERSION."""

__version__ = "{{ cookiecutter.version }}"
