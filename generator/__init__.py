"""An OpenAPI 3.0/3.1 to FastAPI server stub and httpx client generator."""
