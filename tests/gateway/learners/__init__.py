"""Tests of the learner views: profile, learning path, class views."""
