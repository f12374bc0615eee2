"""The AI tools and the knowledge-graph tool pack (installed as `ouroboros.tools`)."""
