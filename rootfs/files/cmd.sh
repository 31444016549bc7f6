#!/bin/sh
# Chapter 2's hello-diamol: who am I, what am I running on, where am I on the network.
# `echo $(…)` on purpose: it folds ifconfig's padding into single spaces, as the book prints it.
echo ---------------------
echo Hello from Chapter 2!
echo ---------------------
echo My name is:
echo $(hostname)
echo ---------------------
echo Im running on:
echo $(uname -s -r -m)
echo ---------------------
echo My address is:
echo $(ifconfig eth0 2>/dev/null | grep 'inet addr')
echo ---------------------
