//! Clients for Cloud App Security, Defender for Endpoint and Graph, over one shared HTTP layer.
