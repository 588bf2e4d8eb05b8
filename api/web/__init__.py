"""Server-rendered web pages for the duty team and planners (issue 7), mounted at ``/ui``."""

from api.web.pages import install

__all__ = ["install"]
