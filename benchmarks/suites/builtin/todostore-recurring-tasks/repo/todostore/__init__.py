"""todostore: an in-memory to-do list with due dates."""

from .models import Task
from .store import TodoStore

__all__ = ["Task", "TodoStore"]
