"""What every domain's routes need from the application: the process's resources, the request's unit of work,
the policies that say who may call a route, and the documented problem responses.

These live in core so that a domain's `routes.py` is a plain module-level APIRouter: api/ only includes the
routers; it hands nothing in.
"""
