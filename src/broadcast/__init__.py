"""broadcast: Vietnamese loudspeaker-radio programmes for the anti-online-fraud campaign."""

__version__ = "0.1.0"
