"""Training: content, pushes, quizzes, learning paths, analytics, trainee questions."""
