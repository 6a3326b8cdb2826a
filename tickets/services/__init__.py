"""Writes to cases. Import the services from their modules (`tickets.services.cases`)."""
