"""Check-ins and feedback surveys, anonymous unless the program says otherwise."""
