"""Developer tools that live beside the product: sample data for demos and tests."""
