"""Reaching the machines nodes run on: SSH hosts (asyncssh) for deployments and load workers."""
