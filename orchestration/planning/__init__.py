"""Planning: the capacity planner (production → deals → meetings → contacts → staff)."""
