"""Residents' ideas (创意点亮城市角落): step 2's ideas for a corner of the community."""
