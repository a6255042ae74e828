"""The MongoDB sinks (distributed mode); pymongo is imported only when one is used."""
